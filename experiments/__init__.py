"""nanotomo.experiments"""
