"""Intake's clients of other systems: the document content store (filesystem or S3-compatible) and the
upload scanner."""
