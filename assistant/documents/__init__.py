"""Documents: loading files into text with paragraph positions, and splitting them into passages."""
