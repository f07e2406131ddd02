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


# The spec syntax of blocks, repetition and nested and named Sequentials, every form once: block
# definitions and uses (a module, a list entry, a repeat's module, a named entry, compact's
# layer type and prelayer, inside another block), repeat entries (a count, a ${...}, `start`, a
# nested Sequential repeated), nested Sequentials (list, named, empty in three spellings).
BLOCKS_SYNTAX = """\
params:
  depth1: 2
  num_classes: 1000
blocks:
  BasicBlock:
    params:
      inplanes: 64
      planes: 64
      stride: 1
    modules:
      conv1:
        Conv2d: {in_channels: "${inplanes}", out_channels: "${planes}", kernel_size: 3,
                 stride: "${stride}", padding: 1, bias: false}
      bn1: {BatchNorm2d: {num_features: "${planes}"}}
      relu: {ReLU: {inplace: true}}
      conv2: {Conv2d: {in_channels: "${planes}", out_channels: "${planes}", kernel_size: 3}}
      bn2: {BatchNorm2d: {num_features: "${planes}"}}
      add: {MergeSum: }
    graph:
      input: x
      modules:
        conv1: [x]
        bn1: [conv1]
        relu: [bn1]
        conv2: [relu]
        bn2: [conv2]
        add: [[bn2, x]]
        relu~out: [add]
      output: relu~out
  DenseLayer:
    params:
      num_input_features: 64
      growth_rate: {default: 32, choices: [16, 32]}
    modules:
      norm1: {BatchNorm2d: {num_features: "${num_input_features}"}}
      conv1: {Conv2d: {in_channels: "${num_input_features}", out_channels: "${growth_rate}",
                       kernel_size: 1, bias: false}}
    graph:
      input: [x]
      modules: {norm1: [x], conv1: [norm1]}
      output: conv1
  MLPBlock:
    params: {width: 64}
    modules:
      lin: {LazyLinear: {out_features: "${width}"}}
      act: {Sequential: [{.Activation: }]}
    graph: {input: x, modules: {lin: [x], act: [lin]}, output: act}
  Activation:
    modules: {act: {ReLU: }}
    graph: {input: x, modules: {act: [x]}, output: act}
modules:
  stem:
    .BasicBlock: {inplanes: 64, planes: 64}
  layer1:
    Sequential:
      - .BasicBlock: {inplanes: 64, planes: 64}
      - repeat: "${depth1 - 1}"
        module: {.BasicBlock: {inplanes: 64, planes: 64}}
      - repeat: 2
        start: 1
        module:
          Sequential: [{Conv2d: {in_channels: 64, out_channels: 64, kernel_size: 1}}]
      - Sequential: [{Conv2d: {in_channels: 64, out_channels: 64, kernel_size: 1}},
                     {BatchNorm2d: {num_features: 64}}]
      - Sequential: {}
      - Sequential: []
      - Sequential:
      - .Activation:
  features:
    Sequential:
      conv0: {Conv2d: {in_channels: 64, out_channels: 64, kernel_size: 7, padding: 3}}
      norm0: {BatchNorm2d: {num_features: 64}}
      denseblock1:
        Sequential:
          "denselayer{i}":
            repeat: 6
            start: 1
            module: {.DenseLayer: {num_input_features: "${64 + (i - 1) * 32}"}}
      act: {.Activation: null}
  head:
    compact:
      prelayer: [{.Activation: }]
      layer: {type: .MLPBlock, keys: [width], args: [64, 32]}
  fc:
    LazyLinear: {out_features: "${num_classes}"}
graph:
  input: {x: {shape: [1, 64, 8, 8]}}
  modules:
    stem: [x]
    layer1: [stem]
    features: [layer1]
    head: [features]
    fc: [head]
  output: fc
"""
