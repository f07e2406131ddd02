"""Order graph nodes so each comes after what it uses: a stable topological sort.

Among the nodes that are ready, the one listed first in the spec goes first, so a spec that is
already in a valid order keeps its order. Cycles were reported by validation.
"""

from __future__ import annotations

import graphlib
import heapq
from collections.abc import Sequence

from .model import Node


def order(nodes: Sequence[Node]) -> tuple[Node, ...]:
    index = {n.name: i for i, n in enumerate(nodes)}
    sorter = graphlib.TopologicalSorter(
        {n.name: [u for u in n.uses() if u in index] for n in nodes}
    )
    sorter.prepare()
    ready: list[int] = []
    out: list[Node] = []
    while sorter.is_active():
        for name in sorter.get_ready():
            heapq.heappush(ready, index[name])
        i = heapq.heappop(ready)
        out.append(nodes[i])
        sorter.done(nodes[i].name)
    return tuple(out)
