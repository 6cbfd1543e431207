"""The red-team suite: what a submission might do to get a verdict it did not earn, or to
break the grader, and the grader's answer to each (never "passed", a clear status, no
traceback, nothing left behind)."""
