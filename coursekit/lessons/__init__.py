"""Lesson layer: code a lab teaches with, one module per idea (each module's docstring names its lab).

Lab 1 :mod:`~coursekit.lessons.dataset_checks` · Lab 2 :mod:`~coursekit.lessons.text` ·
Lab 3 :mod:`~coursekit.lessons.imbalance`, :mod:`~coursekit.lessons.augment` ·
Lab 5 :mod:`~coursekit.lessons.callbacks`, :mod:`~coursekit.lessons.evaluate_modules` ·
Lab 6 :mod:`~coursekit.lessons.error_analysis` ·
Lab 9 :mod:`~coursekit.lessons.publishing`, :mod:`~coursekit.lessons.publish_checks`,
:mod:`~coursekit.lessons.hub_upload`, :mod:`~coursekit.lessons.model_card`, :mod:`~coursekit.lessons.card_checks`,
:mod:`~coursekit.lessons.quantization` ·
Projects: tweet sentiment :mod:`~coursekit.lessons.tweets`, SMS spam :mod:`~coursekit.lessons.spam`,
product feedback :mod:`~coursekit.lessons.feedback_project`, :mod:`~coursekit.lessons.drift`.

Lesson modules may import the core layer (``coursekit.*``); the core never imports them.
"""
