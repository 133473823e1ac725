"""Process-tree accounting from /proc: CPU ticks split by executable, RSS, PSS."""
import os
import threading
import time

CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def stat(pid):
    """-> (ppid, utime+stime ticks of all its threads, rss bytes) or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rfind(b")") + 2:].split()  # [0]=state [1]=ppid [11]=utime [12]=stime [21]=rss
    return int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[21]) * PAGE


def tree(root):
    """Pids of root and all its descendants (by ppid)."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = stat(int(name))
            if st:
                children.setdefault(st[0], []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def kind(pid):
    """'node', 'python' or the executable's name (uwsgi embeds Python: not separable)."""
    try:
        exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return "?"
    return "python" if exe.startswith("python") else exe


def cpu_by_pid(pids):
    out = {}
    for pid in pids:
        st = stat(pid)
        if st:
            out[pid] = (kind(pid), st[1])
    return out


def cpu_split_s(before, after):
    """CPU seconds used between two cpu_by_pid() snapshots, summed per kind."""
    split = {}
    for pid, (k, ticks) in after.items():
        split[k] = split.get(k, 0.0) + (ticks - before.get(pid, (k, 0))[1]) / CLK
    return split


def pss(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


def machine_busy_s():
    with open("/proc/stat") as f:
        vals = [int(x) for x in f.readline().split()[1:9]]
    return (sum(vals) - vals[3] - vals[4]) / CLK  # minus idle and iowait


def classify(root, info):
    """Role of each process of a server tree, from {pid: (ppid, kind)} (pure, for the RSS
    report). yimmo: supervisor -> worker (node) -> host (python); gunicorn and uWSGI:
    master -> worker (uWSGI's HTTP router counts as a worker); a lone process: server."""
    children = {}
    for pid, (ppid, _) in info.items():
        children.setdefault(ppid, []).append(pid)
    roles, todo = {}, [(root, 0)]
    while todo:
        pid, depth = todo.pop()
        if pid not in info:
            continue
        kids, k = children.get(pid, []), info[pid][1]
        if depth == 0:
            roles[pid] = ("supervisor" if k == "node" else "master") if kids else "server"
        elif depth == 1:
            roles[pid] = "worker"
        else:
            roles[pid] = "host" if k == "python" and info[info[pid][0]][1] == "node" else "worker child"
        todo.extend((c, depth + 1) for c in kids)
    return roles


def roles(root, pids):
    """{pid: role} of the tree's processes now (see classify())."""
    info = {}
    for pid in pids:
        st = stat(pid)
        if st:
            info[pid] = (st[0], kind(pid))
    return classify(root, info)


def cpu_split_by_role_s(before, after, role_of):
    """CPU seconds used between two cpu_by_pid() snapshots, summed per role (pure)."""
    split = {}
    for pid, (_, ticks) in after.items():
        role = role_of.get(pid, "?")
        split[role] = split.get(role, 0.0) + (ticks - before.get(pid, (None, 0))[1]) / CLK
    return split


def rss_by_role(root, pids=None):
    """{role: [processes, summed RSS bytes]} of the tree now."""
    pids = tree(root) if pids is None else pids
    info, rss = {}, {}
    for pid in pids:
        st = stat(pid)
        if st:
            info[pid], rss[pid] = (st[0], kind(pid)), st[2]
    out = {}
    for pid, role in classify(root, info).items():
        entry = out.setdefault(role, [0, 0])
        entry[0] += 1
        entry[1] += rss[pid]
    return out


def settled_rss_by_role(root, interval=0.5, limit=10.0):
    """rss_by_role() once the tree has stopped changing: the same processes per role and
    less than 1% more RSS than half a second before (a P=2 server answers while its second
    worker may still be importing the app), or after `limit` seconds."""
    prev, t0 = rss_by_role(root), time.time()
    while time.time() - t0 < limit:
        time.sleep(interval)
        cur = rss_by_role(root)
        same = {k: v[0] for k, v in cur.items()} == {k: v[0] for k, v in prev.items()}
        total, before = (sum(v[1] for v in x.values()) for x in (cur, prev))
        if same and total <= before * 1.01:
            return cur
        prev = cur
    return prev


class RssSampler(threading.Thread):
    """Peak of the summed RSS of a tree, of the tree without its root when it has children
    (yimmo: worker + host without the supervisor; peers: without the master), and per role
    (the peak of each role's sum, see classify())."""

    def __init__(self, root, interval=0.1):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak = self.peak_children = 0
        self.roles = {}  # role -> [processes, peak summed RSS]
        self.done = threading.Event()

    def run(self):
        pids, n = tree(self.root), 0
        while not self.done.is_set():
            if n % 10 == 9:
                pids = tree(self.root)
            n += 1
            rss = {p: st[2] for p in pids for st in [stat(p)] if st}
            total = sum(rss.values())
            self.peak = max(self.peak, total)
            serving = total - rss.get(self.root, 0) if len(rss) > 1 else total  # one process: itself
            self.peak_children = max(self.peak_children, serving)
            if n % 5 == 1:  # per role every 0.5 s: it reads /proc/PID/exe of each process
                for role, (count, size) in rss_by_role(self.root, pids).items():
                    old = self.roles.get(role, [0, 0])
                    self.roles[role] = [max(old[0], count), max(old[1], size)]
            self.done.wait(self.interval)

    def stop(self):
        self.done.set()
        self.join()
