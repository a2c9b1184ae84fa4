"""The Python backend: checked IR to evaluators run in this process."""
