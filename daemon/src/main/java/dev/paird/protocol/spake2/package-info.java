/**
 * SPAKE2 (RFC 9382) over P-256 as pure computation: password scalar, shares, transcript, key
 * schedule and key confirmation, with no I/O. Start at {@link dev.paird.protocol.spake2.Spake2}.
 *
 * <p>BouncyCastle's curve and digest classes are used only inside this package and never appear in
 * its public API.
 */
package dev.paird.protocol.spake2;
