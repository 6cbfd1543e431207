"""The kata's notebooks at run time: how a stage notebook's cells become a stage module
(`cells`, `sourcemap`), what the setup, check and look cells do in a Jupyter kernel
(`kernel`), and the looks themselves (`plots`). Generating the notebooks is an authoring
task: kata/authoring/notebooks.py.
"""
