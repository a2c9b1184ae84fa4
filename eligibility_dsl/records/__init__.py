"""Patient records: the patient model, the binder that reads JSON records against a trial, their JSON Schema."""

from .binder import BoundRecord, InputError, RecordBinder, RecordError, RecordIssue

__all__ = ["BoundRecord", "InputError", "RecordBinder", "RecordError", "RecordIssue"]
