"""Timer: every tick (UTC NCRONTAB, default every 15 minutes) queue a delivery request for each
organisation that is due; ``deliver_one`` (functions/deliver_queue.py) delivers each.

Whether an organisation is due is decided in ``shared.domain.schedule`` in Europe/Amsterdam time
(Flex Consumption ignores WEBSITE_TIME_ZONE); the lease and the outcome store in
``shared.usecases.delivery`` make duplicate requests and overlapping ticks harmless.
"""

from __future__ import annotations

import azure.functions as func

bp = func.Blueprint()


@bp.function_name("deliver_daily")
@bp.timer_trigger(arg_name="timer", schedule="%VISH_DELIVERY_SCHEDULE%", run_on_startup=False,
                  use_monitor=True)
def deliver_daily(timer: func.TimerRequest) -> None:
    from shared.wiring import delivery

    delivery().tick()
