"""Rendering for the terminal and writers for files."""
