"""The actors of the case life cycle: residents, the hotline, handling units, the callback."""

from govsim.agents.callback import Callback
from govsim.agents.handlers import Handlers
from govsim.agents.hotline import Hotline
from govsim.agents.residents import Residents

__all__ = ["Callback", "Handlers", "Hotline", "Residents"]
