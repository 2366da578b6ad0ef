/*
 * A legacy virtio-net driver (virtio 1.2 section 4.1.4.8, 5.1): the device is
 * found by a PCI configuration mechanism #1 scan, driven through its I/O
 * BAR0, with receive queue 0 and transmit queue 1 in identity-mapped RAM.
 */
#include "net.h"

#define PCI_ADDR	0xCF8
#define PCI_DATA	0xCFC

#define VIRTIO_VENDOR	0x1AF4
#define VIRTIO_NET_DEV	0x1000

/* legacy registers in BAR0 */
#define VP_HOST_FEATURES	0x00
#define VP_GUEST_FEATURES	0x04
#define VP_QUEUE_PFN		0x08
#define VP_QUEUE_NUM		0x0C
#define VP_QUEUE_SEL		0x0E
#define VP_QUEUE_NOTIFY		0x10
#define VP_STATUS		0x12
#define VP_ISR			0x13
#define VP_CONFIG		0x14

#define ST_ACK		1
#define ST_DRIVER	2
#define ST_DRIVER_OK	4

#define F_MAC		(1u << 5)
#define F_STATUS	(1u << 16)
#define F_ANY_LAYOUT	(1u << 27)

#define DESC_F_WRITE	2
#define AVAIL_F_NO_INTERRUPT 1

#define NET_HDR		10	/* legacy header, no num_buffers: MRG_RXBUF not accepted */
#define QMAX		256
#define BUF_SIZE	2048

/* Above the image (which ends below 2 MiB), in the identity map. */
#define RING_RX		0x400000ul
#define RING_TX		0x410000ul	/* 64 KiB each: enough for QMAX */
#define BUFS_RX		0x500000ul
#define BUFS_TX		0x600000ul

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct vq {
	unsigned n;
	volatile struct desc *desc;
	volatile uint16_t *avail;	/* flags, idx, ring[n] */
	volatile uint32_t *used;	/* (flags | idx << 16), then {id, len} pairs */
	uint16_t avail_idx, last_used;
};

uint8_t my_mac[6];
unsigned virtio_irq_line;
volatile unsigned virtio_irqs;
int use_halt;

static uint16_t io;
static uint32_t features;
static struct vq rxq, txq;

static uint32_t pci_read32(unsigned dev, unsigned fn, unsigned reg)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc));
	return inl(PCI_DATA);
}

static void pci_write16(unsigned dev, unsigned fn, unsigned reg, uint16_t v)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc));
	outw((uint16_t)(PCI_DATA + (reg & 2)), v);
}

static uint16_t used_idx(const struct vq *q)
{
	return ((volatile uint16_t *)q->used)[1];
}

static int queue_setup(unsigned index, struct vq *q, uint64_t ring)
{
	outw(io + VP_QUEUE_SEL, (uint16_t)index);
	unsigned n = inw(io + VP_QUEUE_NUM);
	if (n == 0 || n > QMAX || (n & (n - 1))) {
		kprintf("FAIL virtio-net queue %u: size %u (want a power of two up to %u)\n", index, n, QMAX);
		return -1;
	}
	memset((void *)ring, 0, 0x10000);
	q->n = n;
	q->desc = (volatile struct desc *)ring;
	q->avail = (volatile uint16_t *)(ring + 16ul * n);
	q->used = (volatile uint32_t *)((ring + 16ul * n + 6 + 2ul * n + 4095) & ~4095ul);
	q->avail_idx = q->last_used = 0;
	outl(io + VP_QUEUE_PFN, (uint32_t)(ring >> 12));
	return 0;
}

int virtio_net_init(void)
{
	unsigned dev, found = 0;

	for (dev = 0; dev < 32 && !found; dev++) {
		uint32_t id = pci_read32(dev, 0, 0);
		if ((id & 0xffff) == VIRTIO_VENDOR && (id >> 16) == VIRTIO_NET_DEV)
			found = 1;
	}
	if (!found) {
		kprintf("FAIL virtio-net: no 1af4:1000 on PCI bus 0\n");
		return -1;
	}
	dev--;
	uint32_t bar0 = pci_read32(dev, 0, 0x10);
	virtio_irq_line = pci_read32(dev, 0, 0x3c) & 0xff;
	kprintf("virtio-net: PCI 00:%02x.0, BAR0 0x%x, IRQ %u\n", dev, bar0, virtio_irq_line);
	if (!(bar0 & 1)) {
		kprintf("FAIL virtio-net: BAR0 is not an I/O BAR\n");
		return -1;
	}
	io = (uint16_t)(bar0 & ~3u);
	pci_write16(dev, 0, 4, (uint16_t)(pci_read32(dev, 0, 4) | 0x5));	/* I/O space, bus master */

	outb(io + VP_STATUS, 0);
	outb(io + VP_STATUS, ST_ACK);
	outb(io + VP_STATUS, ST_ACK | ST_DRIVER);
	uint32_t host = inl(io + VP_HOST_FEATURES);
	features = host & (F_MAC | F_STATUS | F_ANY_LAYOUT);
	outl(io + VP_GUEST_FEATURES, features);
	kprintf("virtio-net: host features 0x%x, accepted 0x%x\n", host, features);
	if (!(features & F_MAC)) {
		kprintf("FAIL virtio-net: no VIRTIO_NET_F_MAC\n");
		return -1;
	}
	if (queue_setup(0, &rxq, RING_RX) || queue_setup(1, &txq, RING_TX))
		return -1;

	for (unsigned i = 0; i < rxq.n; i++) {
		rxq.desc[i].addr = BUFS_RX + (uint64_t)i * BUF_SIZE;
		rxq.desc[i].len = BUF_SIZE;
		rxq.desc[i].flags = DESC_F_WRITE;
		rxq.avail[2 + i] = (uint16_t)i;
	}
	rxq.avail_idx = (uint16_t)rxq.n;
	barrier();
	rxq.avail[1] = rxq.avail_idx;
	txq.avail[0] = AVAIL_F_NO_INTERRUPT;	/* completions are reaped when sending */

	for (int i = 0; i < 6; i++)
		my_mac[i] = inb(io + VP_CONFIG + i);
	outb(io + VP_STATUS, ST_ACK | ST_DRIVER | ST_DRIVER_OK);
	outw(io + VP_QUEUE_NOTIFY, 0);
	kprintf("virtio-net: MAC %02x:%02x:%02x:%02x:%02x:%02x, queues %u/%u\n", my_mac[0], my_mac[1],
		my_mac[2], my_mac[3], my_mac[4], my_mac[5], rxq.n, txq.n);
	return 0;
}

int virtio_link_up(void)
{
	if (!(features & F_STATUS))
		return 1;	/* no status field: the link is assumed up */
	return inw(io + VP_CONFIG + 6) & 1;
}

int net_rx_pending(void)
{
	return rxq.last_used != used_idx(&rxq);
}

int net_poll(void)
{
	int got = 0;

	while (rxq.last_used != used_idx(&rxq)) {
		barrier();
		unsigned slot = rxq.last_used % rxq.n;
		uint32_t id = rxq.used[1 + 2 * slot];
		uint32_t len = rxq.used[2 + 2 * slot];
		if (id < rxq.n && len > NET_HDR && len <= BUF_SIZE)
			eth_input((uint8_t *)(BUFS_RX + (uint64_t)id * BUF_SIZE + NET_HDR), len - NET_HDR);
		rxq.avail[2 + rxq.avail_idx % rxq.n] = (uint16_t)id;
		rxq.avail_idx++;
		rxq.last_used++;
		got++;
		if (got % 32 == 0) {
			barrier();
			rxq.avail[1] = rxq.avail_idx;
			outw(io + VP_QUEUE_NOTIFY, 0);
		}
	}
	if (got % 32) {
		barrier();
		rxq.avail[1] = rxq.avail_idx;
		outw(io + VP_QUEUE_NOTIFY, 0);
	}
	return got;
}

uint8_t *tx_begin(void)
{
	/* one descriptor per frame, completed in order: wait for a free slot */
	while ((uint16_t)(txq.avail_idx - used_idx(&txq)) >= txq.n)
		cpu_relax();
	unsigned slot = txq.avail_idx % txq.n;
	uint8_t *buf = (uint8_t *)(BUFS_TX + (uint64_t)slot * BUF_SIZE);
	memset(buf, 0, NET_HDR);
	return buf + NET_HDR;
}

void tx_commit(unsigned len)
{
	unsigned slot = txq.avail_idx % txq.n;
	txq.desc[slot].addr = BUFS_TX + (uint64_t)slot * BUF_SIZE;
	txq.desc[slot].len = NET_HDR + len;
	txq.desc[slot].flags = 0;
	txq.avail[2 + slot] = (uint16_t)slot;
	txq.avail_idx++;
	barrier();
	txq.avail[1] = txq.avail_idx;
	barrier();
	outw(io + VP_QUEUE_NOTIFY, 1);
}

/* ---- interrupts: an IDT whose exceptions are fatal, and the NIC's INTx through the PIC ---- */

#define SEL_CODE64	0x08
#define GATE_INTR64	0x8e
#define VEC_PIC		0x20

extern const uint64_t irq_stubs[32 + 17 + 1];	/* pc-devices/irq.S: 0-31, 0x20-0x30, 0xff */

static struct {
	uint64_t lo, hi;
} idt[256] __attribute__((aligned(16)));

static void set_gate(unsigned vector, uint64_t handler)
{
	idt[vector].lo = (handler & 0xffff) | (uint64_t)SEL_CODE64 << 16 |
			 (uint64_t)GATE_INTR64 << 40 | ((handler >> 16) & 0xffff) << 48;
	idt[vector].hi = handler >> 32;
}

void irq_dispatch(uint64_t *frame);
void irq_dispatch(uint64_t *frame)
{
	unsigned vector = (unsigned)frame[0];

	if (vector < 32) {
		kprintf("FAIL unexpected exception: vector %u, error 0x%lx, rip 0x%lx\n", vector, frame[1], frame[2]);
		checks_failed++;
		kprintf("net-basic: %u passed, %u failed\n", checks_passed, checks_failed);
		debug_exit(checks_failed);
	}
	if (vector == VEC_PIC + virtio_irq_line) {
		inb(io + VP_ISR);	/* acknowledges and lowers INTx */
		virtio_irqs++;
	}
	if (vector >= VEC_PIC + 8 && vector < VEC_PIC + 16)
		outb(0xa0, 0x20);
	if (vector >= VEC_PIC && vector < VEC_PIC + 16)
		outb(0x20, 0x20);
}

void irq_setup(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };

	for (unsigned v = 0; v < 32; v++)
		set_gate(v, irq_stubs[v]);
	for (unsigned v = 0x20; v <= 0x30; v++)
		set_gate(v, irq_stubs[32 + v - 0x20]);
	set_gate(0xff, irq_stubs[32 + 17]);
	__asm__ volatile("lidt %0" : : "m"(idtr));

	/* PIC pair remapped to 0x20/0x28, everything masked but the NIC (and the cascade) */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, VEC_PIC);
	outb(0xa1, VEC_PIC + 8);
	outb(0x21, 1 << 2);
	outb(0xa1, 2);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	if (virtio_irq_line >= 16)
		return;
	uint16_t mask = (uint16_t)~(1u << virtio_irq_line);
	if (virtio_irq_line >= 8)
		mask &= (uint16_t)~(1u << 2);
	outb(0x21, (uint8_t)mask);
	outb(0xa1, (uint8_t)(mask >> 8));
}

void net_idle(void)
{
	if (!use_halt) {
		cpu_relax();
		return;
	}
	__asm__ volatile("cli" ::: "memory");
	if (net_rx_pending())
		__asm__ volatile("sti" ::: "memory");
	else
		__asm__ volatile("sti; hlt" ::: "memory");
}
