"""A rule part that an app above provides (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Callable


class Part:
    """One named function an owning app provides (``many``: several, whose answers combine)."""

    registry: dict[str, Part] = {}

    def __init__(self, name: str, owner: str, *, many: bool = False) -> None:
        self.name, self.owner, self.many = name, owner, many
        self.providers: list[Callable] = []
        Part.registry[name] = self

    def provide(self, fn: Callable) -> Callable:
        if fn in self.providers:
            return fn
        if self.providers and not self.many:
            raise ValueError(f"pairing part {self.name!r} already has a provider")
        self.providers.append(fn)
        return fn

    def _check(self) -> None:
        if not self.providers:
            raise LookupError(f"nothing provides pairing's {self.name!r} (owner: {self.owner})")

    def __call__(self, *args, **kwargs):
        """The one provider's answer."""
        self._check()
        return self.providers[0](*args, **kwargs)

    def each(self, *args, **kwargs) -> list:
        """Every provider's answer, in the order they registered."""
        self._check()
        return [fn(*args, **kwargs) for fn in self.providers]
