"""The shape rules torch documents, for the modules whose kernels can't take symbolic sizes:
RNN, LSTM and GRU (their fused kernels call ``numel``), and pooling whose kernel, stride,
padding or output size is a parameter (the pooling ops take those as plain ints, so torch
would pin them). The checks at a second set of values (verify.py) run the real modules."""

from __future__ import annotations


def documented(module):
    """The shape rule torch documents for ``module`` where its own kernels can't take its
    symbolic sizes, as ``rule(module, x) -> outputs``; None: run the module itself."""
    import torch

    if isinstance(module, torch.nn.RNNBase):
        return rnn_outputs
    pools = torch.nn.modules.pooling
    if isinstance(module, (pools._AdaptiveAvgPoolNd, pools._AdaptiveMaxPoolNd)):
        sizes = (module.output_size,)
    elif isinstance(module, (pools._MaxPoolNd, pools._AvgPoolNd)):
        if module.ceil_mode:  # its extra rule (the last window starts inside) is not written here
            return None
        sizes = (module.kernel_size, module.stride, module.padding, getattr(module, "dilation", 1))
    else:
        return None
    if getattr(module, "return_indices", False) or not _has_symint(sizes):
        return None
    return pool_output


def _has_symint(value) -> bool:
    import torch

    if isinstance(value, (tuple, list)):
        return any(_has_symint(v) for v in value)
    return isinstance(value, torch.SymInt)


def pool_output(pool, x):
    """A pooling layer's output as torch documents its shape: for each of the last n
    dimensions ``(L + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1`` (AvgPool:
    no dilation), or the adaptive pools' ``output_size`` (None: the input's size)."""
    import torch

    n = int(type(pool).__name__[-2])  # MaxPool2d -> 2

    def each(value):
        return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n

    spatial = tuple(x.shape[-n:])
    pools = torch.nn.modules.pooling
    if isinstance(pool, (pools._AdaptiveAvgPoolNd, pools._AdaptiveMaxPoolNd)):
        out = tuple(s if o is None else o for o, s in zip(each(pool.output_size), spatial))
    else:
        kernel, padding = each(pool.kernel_size), each(pool.padding)
        stride = each(pool.stride if pool.stride is not None else pool.kernel_size)
        dilation = each(getattr(pool, "dilation", 1))
        out = tuple(
            (size + 2 * p - d * (k - 1) - 1) // s + 1
            for size, k, s, p, d in zip(spatial, kernel, stride, padding, dilation)
        )
    if x.dim() not in (n + 1, n + 2):
        raise ValueError(f"{type(pool).__name__} expects {n + 1}D or {n + 2}D input")
    return torch.empty(tuple(x.shape[:-n]) + out, dtype=x.dtype)


def rnn_outputs(rnn, x):
    """What RNN, LSTM and GRU return for input ``x`` (no initial state), as empty tensors of
    the shapes torch documents. The constructor still runs, with the symbolic sizes, as
    torch's own."""
    import torch

    if x.dim() not in (2, 3) or x.shape[-1] != rnn.input_size:
        raise ValueError(
            f"{type(rnn).__name__} expects input of shape (..., {rnn.input_size}), got"
            f" {tuple(x.shape)}"
        )
    directions = 2 if rnn.bidirectional else 1
    out_size = rnn.proj_size if getattr(rnn, "proj_size", 0) > 0 else rnn.hidden_size
    if x.dim() == 2:  # unbatched: (L, H_in)
        length, batch = x.shape[0], None
    elif rnn.batch_first:
        batch, length = x.shape[0], x.shape[1]
    else:
        length, batch = x.shape[0], x.shape[1]
    if batch is None:
        output = (length, directions * out_size)
    else:
        output = (
            (batch, length, directions * out_size)
            if rnn.batch_first
            else (length, batch, directions * out_size)
        )
    state = (directions * rnn.num_layers,) + ((batch,) if batch is not None else ())
    h_n = torch.empty(state + (out_size,), dtype=x.dtype)
    out = torch.empty(output, dtype=x.dtype)
    if isinstance(rnn, torch.nn.LSTM):
        return out, (h_n, torch.empty(state + (rnn.hidden_size,), dtype=x.dtype))
    return out, h_n
