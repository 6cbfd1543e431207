"""`python -m kata.handout`: write the learner's copy (kata/authoring/handout.py)."""

if __name__ == "__main__":
    import sys

    from kata.authoring.handout import main

    sys.exit(main())
