"""nanotomo.recon"""
