"""The kata's grading pipeline. First of all: on a Python older than 3.10, one clear line
and exit status 2 (kata/version.py), whichever way the kata was entered."""

from kata.version import require_python

require_python()
