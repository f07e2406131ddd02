"""``torcharc-gen import``: an existing nn.Module as an editable spec, with the round trip
that proves it (``pipeline.from_module``). ``trace`` records and traces each module,
``arguments`` recovers constructor arguments, ``helpers`` maps function calls to TorchArc's
helpers, ``graph`` writes one forward as a spec graph, ``units`` walks the module tree (and
decides the fallbacks), ``blocks`` groups a class's instances into blocks, ``write`` writes
the YAML, ``roundtrip`` proves it."""
