package dev.paird.net;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
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

  AdmissionHandler(int maxConnections, RateLimiter rateLimiter) {
    this.maxConnections = maxConnections;
    this.rateLimiter = rateLimiter;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      log.warn("refused a pairing connection from {}: {} connections are open (max_connections)",
          remote.getAddress().getHostAddress(), maxConnections);
      ctx.close();
      return;
    }
    ctx.channel().attr(COUNTED).set(Boolean.TRUE);
    if (!rateLimiter.tryAcquire(remote.getAddress())) {
      log.warn("refused a pairing connection from {}: too many from that address"
          + " (rate_limit_per_minute)", remote.getAddress().getHostAddress());
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

  int open() {
    return open.get();
  }
}
