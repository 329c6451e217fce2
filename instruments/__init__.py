"""nanotomo.instruments"""
