"""An existing nn.Module as an editable spec, proven by its round trip (`torcharc-gen import`).

``pipeline.from_module`` runs it: ``trace`` records and traces each module, ``arguments``
recovers constructor arguments, ``helpers`` maps function calls to TorchArc's helpers,
``graph`` writes one forward as a spec graph, ``units`` walks the module tree (and decides the
fallbacks), ``blocks`` groups a class's instances into blocks, ``write`` writes the YAML,
``roundtrip`` proves it."""
