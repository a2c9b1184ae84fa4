// The VS Code client: starts `elig lsp` (over stdio) for .elig files.
// Install the server with `pip install 'eligibility_dsl[lsp]'`; `elig.server.command` names another executable.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("elig");
  const command = config.get("server.command", "elig");
  const args = config.get("server.args", ["lsp"]);
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient("elig", "Eligibility criteria", { run: server, debug: server }, {
    documentSelector: [{ scheme: "file", language: "elig" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.elig") },
  });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
