"""The actors of the case life cycle: residents, the hotline, handling units, the callback."""

from govsim.agents.handlers import Handlers
from govsim.agents.hotline import Hotline
from govsim.agents.residents import Residents
from govsim.agents.verification import VerificationCall

__all__ = ["VerificationCall", "Handlers", "Hotline", "Residents"]
