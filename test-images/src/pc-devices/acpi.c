/*
 * ACPI tables as Unikraft finds them: "RSD PTR " in 0xe0000-0xfffff on a
 * 16-byte boundary, then the XSDT (or RSDT), FADT and MADT, checksums
 * verified. The MADT's processors are counted against fw_cfg and the CMOS.
 */
#include "pcdev.h"

struct sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision, creator_id, creator_revision;
} __attribute__((packed));

struct rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum, reserved[3];
} __attribute__((packed));

#define FADT_DSDT		40
#define FADT_SCI_INT		46
#define FADT_PM1A_CNT_BLK	64
#define FADT_X_DSDT		140
#define MADT_LAPIC_ADDR		36
#define MADT_ENTRIES		44

static uint8_t sum8(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	while (len--)
		s += *b++;
	return s;
}

static uint32_t rd32(const void *p) { return *(const uint32_t *)p; }

static const struct sdt_header *fadt, *madt;

static void check_table(struct check *c, const struct sdt_header *t, const char *sig)
{
	if (memcmp(t->signature, sig, 4) != 0) {
		check_true(c, "signature mismatch", 0);
		return;
	}
	check_true(c, "implausible length", t->length >= sizeof(*t) && t->length < 0x10000);
	check_eq(c, "checksum (sum of all bytes)", sum8(t, t->length), 0);
}

static const struct rsdp *find_rsdp(void)
{
	for (uint64_t p = 0xe0000; p < 0x100000; p += 16)
		if (memcmp((const void *)p, "RSD PTR ", 8) == 0)
			return (const struct rsdp *)p;
	return 0;
}

static void find_tables(struct check *c, const struct sdt_header *root, unsigned entry_size)
{
	unsigned n = (root->length - sizeof(*root)) / entry_size;
	const uint8_t *e = (const uint8_t *)(root + 1);

	for (unsigned i = 0; i < n; i++, e += entry_size) {
		uint64_t a = entry_size == 8 ? *(const uint64_t *)e : rd32(e);
		const struct sdt_header *t = (const struct sdt_header *)a;
		kprintf("ACPI: %c%c%c%c at 0x%lx, %u bytes\n", t->signature[0], t->signature[1],
			t->signature[2], t->signature[3], a, t->length);
		if (memcmp(t->signature, "FACP", 4) == 0)
			fadt = t;
		else if (memcmp(t->signature, "APIC", 4) == 0)
			madt = t;
	}
	check_true(c, "no FACP entry", fadt != 0);
	check_true(c, "no APIC entry", madt != 0);
}

void acpi_tests(void)
{
	struct check c;
	const struct rsdp *rsdp = find_rsdp();

	check_begin(&c, "ACPI RSDP found by a 16-byte scan of 0xe0000-0xfffff, checksums valid");
	check_true(&c, "no \"RSD PTR \"", rsdp != 0);
	if (!rsdp) {
		check_end(&c);
		return;
	}
	kprintf("ACPI: RSDP at 0x%lx, revision %u, RSDT 0x%x, XSDT 0x%lx\n", (uint64_t)rsdp,
		rsdp->revision, rsdp->rsdt, rsdp->xsdt);
	check_eq(&c, "checksum of the first 20 bytes", sum8(rsdp, 20), 0);
	if (rsdp->revision >= 2) {
		check_eq(&c, "length", rsdp->length, sizeof(*rsdp));
		check_eq(&c, "extended checksum", sum8(rsdp, rsdp->length), 0);
	}
	check_end(&c);

	const struct sdt_header *xsdt = rsdp->revision >= 2 && rsdp->xsdt ? (const void *)rsdp->xsdt : 0;
	const struct sdt_header *rsdt = rsdp->rsdt ? (const void *)(uint64_t)rsdp->rsdt : 0;
	check_begin(&c, xsdt ? "ACPI XSDT checksum, FACP and APIC entries" : "ACPI RSDT checksum, FACP and APIC entries");
	if (xsdt) {
		check_table(&c, xsdt, "XSDT");
		find_tables(&c, xsdt, 8);
	} else if (rsdt) {
		check_table(&c, rsdt, "RSDT");
		find_tables(&c, rsdt, 4);
	} else {
		check_true(&c, "neither RSDT nor XSDT", 0);
	}
	if (xsdt && rsdt)
		check_table(&c, rsdt, "RSDT");
	check_end(&c);

	if (fadt) {
		check_begin(&c, "ACPI FADT: checksum, PM1a_CNT_BLK 0x604, SCI IRQ 9, DSDT checksum");
		check_table(&c, fadt, "FACP");
		const uint8_t *f = (const uint8_t *)fadt;
		check_eq(&c, "PM1a_CNT_BLK", rd32(f + FADT_PM1A_CNT_BLK), 0x604);
		check_eq(&c, "SCI_INT", *(const uint16_t *)(f + FADT_SCI_INT), 9);
		uint64_t dsdt = rd32(f + FADT_DSDT);
		if (fadt->length >= FADT_X_DSDT + 8 && *(const uint64_t *)(f + FADT_X_DSDT))
			dsdt = *(const uint64_t *)(f + FADT_X_DSDT);
		check_true(&c, "no DSDT", dsdt != 0);
		if (dsdt)
			check_table(&c, (const struct sdt_header *)dsdt, "DSDT");
		check_end(&c);
	}

	if (!madt)
		return;
	check_begin(&c, "ACPI MADT: checksum, local APIC 0xfee00000, I/O APIC 0xfec00000, IRQ 0 -> GSI 2");
	check_table(&c, madt, "APIC");
	const uint8_t *m = (const uint8_t *)madt;
	check_eq(&c, "local APIC address", rd32(m + MADT_LAPIC_ADDR), 0xfee00000);
	unsigned cpus = 0, ioapics = 0, irq0_gsi = 0, ids_in_order = 1;
	for (uint32_t off = MADT_ENTRIES; off + 2 <= madt->length;) {
		uint8_t type = m[off], len = m[off + 1];
		if (len < 2 || off + len > madt->length) {
			check_true(&c, "bad entry length", 0);
			break;
		}
		if (type == 0 && len >= 8 && (rd32(m + off + 4) & 1)) {
			if (m[off + 3] != cpus)
				ids_in_order = 0;
			cpus++;
		} else if (type == 1 && len >= 12) {
			ioapics++;
			check_eq(&c, "I/O APIC address", rd32(m + off + 4), 0xfec00000);
			check_eq(&c, "I/O APIC GSI base", rd32(m + off + 8), 0);
			check_eq(&c, "I/O APIC ID (MADT vs its ID register)", m[off + 2], ioapic_id());
		} else if (type == 2 && len >= 10 && m[off + 2] == 0 && m[off + 3] == 0) {
			irq0_gsi = rd32(m + off + 4);
		}
		off += len;
	}
	check_eq(&c, "I/O APICs", ioapics, 1);
	check_eq(&c, "IRQ 0 override GSI", irq0_gsi, 2);
	check_true(&c, "APIC IDs not 0..N-1 in order", ids_in_order);
	check_end(&c);

	unsigned fw = fwcfg_cpu_count(), cmos = cmos_read(0x5f) + 1u;
	kprintf("CPUs: MADT %u, fw_cfg %u, CMOS 0x5f+1 %u\n", cpus, fw, cmos);
	check_begin(&c, "CPU count: MADT type-0 entries = fw_cfg key 0x05 = CMOS 0x5f + 1");
	check_eq(&c, "fw_cfg", fw, cpus);
	check_eq(&c, "CMOS", cmos, cpus);
	check_end(&c);
}
