"""Assessment's clients of other government systems."""
