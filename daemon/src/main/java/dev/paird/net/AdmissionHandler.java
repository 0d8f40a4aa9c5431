package dev.paird.net;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, before any TLS work is done, whether a new pairing connection may proceed: at most
 * {@code maxConnections} at once, and at most {@code rate_limit_per_minute} new ones per source.
 * A refused connection is closed at once; it cost the daemon one accept.
 */
@ChannelHandler.Sharable
final class AdmissionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(AdmissionHandler.class);
  private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf("paird.counted");

  private final int maxConnections;
  private final RateLimiter rateLimiter;
  private final AtomicInteger open = new AtomicInteger();
  /** Refusals are logged at most once a minute, with a count: a flood must not flood the log. */
  private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARNING_INTERVAL_NANOS);
  private final AtomicInteger unreported = new AtomicInteger();
  private static final long WARNING_INTERVAL_NANOS = 60_000_000_000L;

  AdmissionHandler(int maxConnections, RateLimiter rateLimiter) {
    this.maxConnections = maxConnections;
    this.rateLimiter = rateLimiter;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      refused(remote, maxConnections + " connections are open (max_connections)");
      ctx.close();
      return;
    }
    ctx.channel().attr(COUNTED).set(Boolean.TRUE);
    if (!rateLimiter.tryAcquire(remote.getAddress())) {
      refused(remote, "too many from that address (rate_limit_per_minute)");
      ctx.close();
      return;
    }
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (ctx.channel().attr(COUNTED).getAndSet(null) != null) {
      open.decrementAndGet();
    }
    super.channelInactive(ctx);
  }

  private void refused(InetSocketAddress remote, String why) {
    int count = unreported.incrementAndGet();
    long now = System.nanoTime();
    long last = lastWarning.get();
    if (now - last >= WARNING_INTERVAL_NANOS && lastWarning.compareAndSet(last, now)) {
      unreported.addAndGet(-count);
      log.warn("refused a pairing connection from {}: {}{}", remote.getAddress().getHostAddress(),
          why, count > 1 ? " (" + (count - 1) + " more refused since the last warning)" : "");
    } else {
      log.debug("refused a pairing connection from {}: {}", remote.getAddress().getHostAddress(), why);
    }
  }

  int open() {
    return open.get();
  }
}
