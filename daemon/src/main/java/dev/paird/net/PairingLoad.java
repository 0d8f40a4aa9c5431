package dev.paird.net;

/**
 * The pairing connections open at one moment, as {@code status} reports them: {@code open} counted
 * against {@code max_connections}, of which {@code inHandshake} have not finished their TLS
 * handshake. A connection that finished it and is then evicted is told BUSY; one still in it is
 * closed without a word.
 */
public record PairingLoad(int open, int inHandshake) {}
