"""`python -m kata.batch`: the instructor's batch grading (kata/authoring/batch.py)."""

if __name__ == "__main__":
    import sys

    from kata.authoring.batch import main

    sys.exit(main())
