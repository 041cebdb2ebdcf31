"""The HTML report (SPEC §8.4): ``build`` gathers the sections, ``charts`` draws them, ``html`` renders the page.

It sits beside the engine and the insights and consumes their results; neither imports it.
"""
