"""Parametrized specs shared by the tests of params, symbolic sizes and `resolve`."""

# The MLP: widths and a rate as params, an inferred size that follows them.
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
