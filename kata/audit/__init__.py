"""The audit: the grader's own verdict on a learner's code, computed outside its process.

The checks run in the same process as the learner's code, and code in one process can
change what another part of it sees. The audit does not depend on that process telling the
truth: fresh cases drawn from a seed of this run (kata/audit/cases/), evaluated by a
separate child that sends back plain values only (kata/audit/child.py, wire.py), judged
here with the checks' semantics (judge.py), orchestrated by run.py; the MNIST gate's
accuracy is recomputed from the trained parameters (gate.py).
"""
