"""The actors of the case life cycle: residents, the hotline, handling units, the callback."""

from govsim.engine.agents.handlers import Handlers
from govsim.engine.agents.hotline import Hotline
from govsim.engine.agents.residents import Residents
from govsim.engine.agents.verification import VerificationCall

__all__ = ["VerificationCall", "Handlers", "Hotline", "Residents"]
