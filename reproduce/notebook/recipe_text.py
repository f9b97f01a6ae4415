"""A drafted recipe's values as TOML text, and the one-line error of a notebook whose recipe the suite cannot
hold. Below both readings of a notebook (draft.py, the text's; trace/compose.py, the dry run's)."""
import json
import math

from reproduce.training.recipe import RecipeError


class DraftError(RecipeError):
    """A notebook whose recipe the suite cannot reproduce, said in one line."""


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else json.dumps(str(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise DraftError(f"a value the recipe cannot hold: {v!r:.60}")
