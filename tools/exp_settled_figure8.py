import sys, time, os
from dataclasses import replace
from consensus_lab.explore import raft_scene as rs
from consensus_lab.explore.settled import SettledModel
from consensus_lab.explore.space import Scene, Search
from consensus_lab.raft.protocol import RaftProtocol
from consensus_lab.sim.world import Model

class M(SettledModel):
    hb = 2
    def initial(self):
        w = super().initial(); return w._replace(ghost=(*w.ghost, self.hb))
    def moves(self, w):
        ms = super().moves(w)
        if w.ghost[4] == 0: ms = [m for m in ms if m.name != "heartbeat"]
        return ms
    def apply(self, w, m):
        hb = w.ghost[4]
        w2, e = super().apply(w._replace(ghost=w.ghost[:4]), m)
        return w2._replace(ghost=(*w2.ghost[:4], hb - (m.name == "heartbeat"))), e
    def _carry_out(self, world, i, state, effects):
        extra = world.ghost[4:]
        world = Model._carry_out(self, world._replace(ghost=world.ghost[:4]), i, state, effects)
        observed, *rest = world.ghost
        return world._replace(ghost=(self.watch(observed, self.ids[i], state, effects), *rest, *extra))

variant = sys.argv[1]; depth = int(sys.argv[2]); el = int(sys.argv[3]); changes=int(sys.argv[4]); M.hb=int(sys.argv[5])
ids = tuple(f"n{i}" for i in range(1, 6))
proto = RaftProtocol(replace(rs.VARIANTS[variant]))
model = M(dict.fromkeys(ids, proto), observe=rs.observe, ghost=frozenset(),
                     prompt=frozenset({"replicate"}), changes=changes)
if os.environ.get('ISO'): model.cuts = tuple(c for c in model.cuts if min(len(x) for x in c)==1)
def lift(check):
    return lambda m, w: check(m, w._replace(ghost=w.ghost[0]))
inv = {k: lift(v) for k, v in rs.INVARIANTS.items()}
def prune(m, w):
    return any(s is not None and s.current_term > 4 for s in w.states)
scene = Scene(model, invariants=inv, prune=prune, inputs=rs.COMMANDS, input_to=rs.leaders_only,
              symmetry=ids, budgeted=frozenset({"election"}), fires=el)
def prog(p):
    print(f"  {p.elapsed:6.1f}s states {p.states} depth {p.depth} {p.states_per_s:.0f}/s frontier {p.frontier}", flush=True)
f = Search(scene, por=False).run(max_depth=depth, progress=prog, every=30, time_limit=float(sys.argv[6]) if len(sys.argv)>6 else None)
print(variant, "states", f.states, "depth", f.max_depth, "complete", f.complete, f.bound_hit, "elapsed %.1f" % f.elapsed, f.invariant, f.message)
if f.violation:
    for m in f.violation: print("   ", m.kind, m.node, m.name, m.value)
