"""The users' own suites: scenario files and their expectations, turned into scenarios and
conventions the matrix runs beside the built-in ones."""
