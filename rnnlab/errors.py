"""The one exception type rnnlab raises for bad arguments and bad data."""


class RnnlabError(ValueError):
    """A bad argument or bad data: the message names the argument, the value received and what was expected."""


def describe(value) -> str:
    """A short, readable echo of a received value for error messages."""
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, (int, float, str)):
        dtype = getattr(value, "dtype", None)
        dtype = getattr(dtype, "name", dtype)
        return f"{type(value).__name__} of shape {tuple(shape)} and dtype {dtype}"
    if isinstance(value, (tuple, list)) and 0 < len(value) <= 4 and any(hasattr(v, "shape") for v in value):
        return f"a {type(value).__name__} of {len(value)}: " + ", ".join(describe(v) for v in value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
