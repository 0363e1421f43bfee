"""The ``kvideo`` command line. See ``kvideo --help``."""
