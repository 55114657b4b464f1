"""implicit"""
