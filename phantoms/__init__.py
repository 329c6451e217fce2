"""nanotomo.phantoms"""
