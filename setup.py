"""Builds the wheel described in pyproject.toml. The Python launcher
(python/yimmo_wsgi) is an ordinary package; this file adds the server under
yimmo_wsgi/server/, laid out as in the repository so that the compiled code
finds the Python host and package.json where it always does:

    server/package.json, server/bin/yimmo-wsgi
    server/dist/src/**/*.js        compiled fresh from src/ (tsconfig.build.json)
    server/node_modules/<pkg>      the production dependencies in package-lock.json
    server/python/yimmo_host/*.py  the Python host

No network is needed when node_modules is already installed (`npm ci`);
otherwise the build runs `npm ci --ignore-scripts` first.
"""
import json
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = os.path.dirname(os.path.abspath(__file__))


def package_json():
    with open(os.path.join(ROOT, "package.json")) as f:
        return json.load(f)


def production_modules():
    """node_modules/... directories of the non-dev packages in package-lock.json."""
    with open(os.path.join(ROOT, "package-lock.json")) as f:
        lock = json.load(f)
    return sorted(path for path, meta in lock["packages"].items()
                  if path.startswith("node_modules/") and not meta.get("dev") and not meta.get("optional"))


def run(cmd):
    print("yimmo-wsgi build: " + " ".join(cmd))
    subprocess.check_call(cmd, cwd=ROOT)


class BuildPyWithServer(build_py):
    def run(self):
        super().run()
        server = os.path.join(self.build_lib, "yimmo_wsgi", "server")
        if os.path.exists(server):
            shutil.rmtree(server)  # a previous build's files must not linger
        if not os.path.isfile(os.path.join(ROOT, "node_modules", "typescript", "bin", "tsc")):
            run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        run(["node", os.path.join("node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json",
             "--outDir", os.path.join(server, "dist")])
        for name in ("package.json", os.path.join("bin", "yimmo-wsgi")):
            os.makedirs(os.path.dirname(os.path.join(server, name)), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, name), os.path.join(server, name))
        # Only what runs: no caches, type declarations or source maps.
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.d.ts", "*.map")
        shutil.copytree(os.path.join(ROOT, "python", "yimmo_host"), os.path.join(server, "python", "yimmo_host"),
                        ignore=ignore)
        for module in production_modules():
            source = os.path.join(ROOT, module)
            if not os.path.isdir(source):
                raise SystemExit("yimmo-wsgi build: %s is missing: run `npm ci` first" % module)
            shutil.copytree(source, os.path.join(server, module), ignore=ignore)


setup(version=package_json()["version"], cmdclass={"build_py": BuildPyWithServer})
