"""Pure logic: no I/O, no clock reads. See README.md beside this file."""
