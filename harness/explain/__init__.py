"""exitcodes explain: every reading of one status value, each with its source."""
