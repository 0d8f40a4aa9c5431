/**
 * The device's identity: the self-signed certificate a peer pins and the private key that proves
 * it, loaded from configured PEM files or generated once into the state directory.
 */
package dev.paird.identity;
