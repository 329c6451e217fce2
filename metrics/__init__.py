"""nanotomo.metrics"""
