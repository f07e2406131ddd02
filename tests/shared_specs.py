"""Specs more than one test file uses."""

import textwrap

# An MLP with widths and a rate as params, an inferred size that follows them.
MLP = """\
params:
  hidden: 256
  n_classes: 10
  p_drop: 0.1
modules:
  body:
    Sequential:
      - LazyLinear:
          out_features: ${hidden}
      - ReLU:
      - Dropout:
          p: ${p_drop}
      - LazyLinear:
          out_features: ${hidden * 4}
      - LazyLinear:
          out_features: ${n_classes}
graph:
  input:
    x: {shape: [4, 32]}
  modules:
    body: [x]
  output: body
"""

# At 88 columns black splits the `merge` line (90 wide with its shape comment); at 100 it
# fits, and at 120 so does the forward signature.
WIDE = textwrap.dedent("""\
    modules:
      merge:
        MergeConcat: {dim: 1}
      head:
        Linear: {in_features: 16, out_features: 2}
    graph:
      input:
        left_image_embedding: {shape: [4, 8]}
        right_image_embedding: {shape: [4, 8]}
      modules:
        merge: [[left_image_embedding, right_image_embedding]]
        head: [merge]
      output: head
    """)
