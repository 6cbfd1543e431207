"""The instructor's and maintainer's tools: they write what the grading pipeline reads.

stubgen     exercises/ from the marked regions of solutions/
notebooks   notebooks/ from the same source
manifest    kata/manifest.json: hashes of the shipped checks and data, the stubs' names
handout     the learner's copy of the kata
batch       grade a folder of submissions into a CSV

`python -m kata.authoring sync` regenerates the first three in order; `--check` reports
drift instead. Nothing in the pipeline (kata/*.py, kata/notebook/) imports this package.
"""
