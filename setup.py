"""Packaging beyond what pyproject.toml can say: the PWA and the models ship in the wheel.

`pwa/` and `models/` stay where they are in the source tree (the app reads them from there in a
checkout); setuptools maps them onto the packages `dosmotr_pwa` and `dosmotr_models`, so an
installed `dosmotr serve` finds the PWA and the worker its models without a source tree
(`backend.settings` resolves both).
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["backend*", "media_pipeline*", "contract*"]),
        "dosmotr_pwa",
        "dosmotr_models",
    ],
    package_dir={"dosmotr_pwa": "pwa", "dosmotr_models": "models"},
    package_data={
        "backend": ["db/migrations/*.sql", "idk/fonts/*"],
        # Everything the browser may fetch; the icon generator and notes stay out.
        "dosmotr_pwa": ["*.html", "*.js", "*.webmanifest", "css/*", "i18n/*.json",
                        "icons/*.png", "js/**/*.js"],
        # The shipped models only (the trainers and evaluators are development tools), with
        # their cards and the licence notices their upstream weights require.
        "dosmotr_models": ["*/manifest.json", "*/*.onnx", "*/*.json", "*/*.txt", "*/CARD.md",
                           "*/NOTICE*", "*/LICENSE*"],
    },
    exclude_package_data={"dosmotr_models": ["training/*", "eval/*"]},
)
