"""The users' own suites: scenario files, Oils-format spec files and their expectations,
turned into scenarios and conventions the matrix runs like the built-in ones."""
