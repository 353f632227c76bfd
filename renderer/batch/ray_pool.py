"""Running batch workers as Ray actors: ``synthscene render ... --ray`` (a local Ray instance) or
``--ray-address HOST:PORT`` (an existing cluster).

Each actor holds one warm :class:`~renderer.batch.session.RenderSession` and writes frames straight
into the output folder, which must therefore be a path every node sees (a shared filesystem). The
coordinator stays where the command runs: it decides what to render, retries frames whose actor
died, appends failure lines and writes the COCO file — the same manifest and resume rules as
local workers. With ``--device gpu`` each actor asks Ray for one GPU.
"""

from __future__ import annotations

from typing import Optional

from renderer.batch.config import BatchConfig
from renderer.batch.pools import Event, render_event
from renderer.errors import UserError


# A local instance (``--ray``) stays on loopback. Ray replaces 127.0.0.1 by the machine's network
# address, but takes any other loopback address as given.
LOCAL_NODE_IP = "127.0.0.2"


class RenderActor:
    """Ray actor body: a warm render session; exceptions come back as values."""

    def __init__(self, config_json: dict):
        from renderer.batch.config import BatchConfig as Config  # pylint: disable=import-outside-toplevel
        from renderer.batch.session import RenderSession  # pylint: disable=import-outside-toplevel

        self.session = RenderSession(Config.from_json(config_json))

    def render(self, index: int) -> Event:
        return render_event(self.session, index, self.session.config.time_limit())


def _import_ray():
    try:
        import ray  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise UserError(
            "--ray needs Ray: `pip install 'synthscene[ray]'` (or `pip install ray==2.60.0`)"
        ) from None
    return ray


class RayPool:
    """Pool of Ray actors with the interface of :class:`renderer.batch.pools.ProcessPool`."""

    def __init__(
        self, config: BatchConfig, address: Optional[str] = None, size: Optional[int] = None
    ):
        self.ray = ray = _import_ray()
        self.started_ray = not ray.is_initialized()
        if self.started_ray:
            local = {} if address else {"_node_ip_address": LOCAL_NODE_IP}
            try:
                ray.init(
                    address=address,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                    **local,
                )
            except ConnectionError as error:
                raise UserError(
                    f"--ray-address {address!r}: cannot reach a Ray cluster there "
                    f"({error}); start one with `ray start --head`"
                ) from None
        self.config = config
        gpus = 1 if config.device == "gpu" else 0
        self.actor_class = ray.remote(num_cpus=1, num_gpus=gpus, max_restarts=0)(RenderActor)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.size = size or config.workers or cpus
        self.idle = [self._new_actor() for _ in range(self.size)]
        self.running: dict = {}  # object ref -> (actor, frame index)

    def _new_actor(self):
        return self.actor_class.remote(self.config.to_json())

    def free_slots(self, solo: bool = False) -> int:
        return len(self.idle)

    def submit(self, index: int, solo: bool = False) -> None:
        actor = self.idle.pop()
        self.running[actor.render.remote(index)] = (actor, index)

    def poll(self, timeout: float) -> list[Event]:
        if not self.running:
            return []
        ready, _ = self.ray.wait(list(self.running), num_returns=len(self.running), timeout=timeout)
        events = []
        for ref in ready:
            actor, index = self.running.pop(ref)
            try:
                outcome = self.ray.get(ref)
            except self.ray.exceptions.RayActorError as error:
                events.append(Event("crashed", index, error=f"Ray actor died: {error}"))
                self.ray.kill(actor)
                self.idle.append(self._new_actor())
                continue
            self.idle.append(actor)
            events.append(outcome)
        return events

    def close(self, kill: bool = False) -> None:
        del kill
        for actor in self.idle + [actor for actor, _ in self.running.values()]:
            self.ray.kill(actor)
        self.idle, self.running = [], {}
        if self.started_ray:
            self.ray.shutdown()
