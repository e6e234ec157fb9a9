//! The demo centre's sample of designated institutions 定点医药机构:
//! synthetic but plausible hospitals, pharmacies and clinics across several
//! provinces, generated deterministically from a seed (the same file always
//! gives the same list), so that the `institutions` reference dataset has
//! a realistic size without typing hundreds of entries by hand.
//!
//! Every name carries no real institution's licence or code: codes are
//! `S<city code><kind letter><serial>` and the demo marks them as samples.

use serde::Deserialize;

use crate::data::DemoInstitution;

/// What to generate (the `[institution_sample]` table of the demo data).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstitutionSample {
    /// Seed of the generator.
    pub seed: u64,
    /// Institutions per city.
    pub per_city: u32,
    /// City codes (must be in `[areas]` and in [`CITIES`]).
    pub cities: Vec<String>,
}

/// A city the generator knows: code, name, telephone area code, districts
/// and street names.
pub struct City {
    /// 6-digit city code.
    pub code: &'static str,
    /// City name.
    pub name: &'static str,
    /// Telephone area code.
    pub phone: &'static str,
    /// Districts and counties.
    pub districts: &'static [&'static str],
    /// Street names.
    pub streets: &'static [&'static str],
}

/// The cities of the sample.
pub const CITIES: &[City] = &[
    City {
        code: "110100",
        name: "北京市",
        phone: "010",
        districts: &["东城区", "西城区", "朝阳区", "海淀区", "丰台区"],
        streets: &[
            "东单北大街",
            "西直门外大街",
            "建国路",
            "中关村大街",
            "丰台北路",
            "王府井大街",
        ],
    },
    City {
        code: "220100",
        name: "长春市",
        phone: "0431",
        districts: &["南关区", "朝阳区", "绿园区", "二道区", "宽城区"],
        streets: &[
            "人民大街",
            "西安大路",
            "解放大路",
            "自由大路",
            "亚泰大街",
            "东盛大街",
        ],
    },
    City {
        code: "220200",
        name: "吉林市",
        phone: "0432",
        districts: &["船营区", "昌邑区", "龙潭区", "丰满区"],
        streets: &["解放中路", "遵义东路", "吉林大街", "北京路", "松江中路"],
    },
    City {
        code: "460100",
        name: "海口市",
        phone: "0898",
        districts: &["龙华区", "美兰区", "秀英区", "琼山区"],
        streets: &[
            "龙昆南路",
            "海秀东路",
            "滨海大道",
            "国兴大道",
            "南海大道",
            "椰海大道",
        ],
    },
    City {
        code: "460200",
        name: "三亚市",
        phone: "0898",
        districts: &["吉阳区", "天涯区", "海棠区", "崖州区"],
        streets: &["解放路", "迎宾路", "三亚湾路", "凤凰路", "榆亚路"],
    },
    City {
        code: "440300",
        name: "深圳市",
        phone: "0755",
        districts: &["福田区", "罗湖区", "南山区", "宝安区", "龙岗区"],
        streets: &[
            "深南大道",
            "红荔路",
            "南海大道",
            "宝安大道",
            "龙岗大道",
            "东门中路",
        ],
    },
    City {
        code: "530100",
        name: "昆明市",
        phone: "0871",
        districts: &["五华区", "盘龙区", "官渡区", "西山区"],
        streets: &["青年路", "北京路", "关上中路", "滇池路", "人民中路"],
    },
    City {
        code: "230100",
        name: "哈尔滨市",
        phone: "0451",
        districts: &["南岗区", "道里区", "香坊区", "道外区"],
        streets: &["中山路", "中央大街", "红旗大街", "学府路", "友谊路"],
    },
];

const HOSPITAL_FORMS: &[(&str, &str)] = &[
    ("{city}第{n}人民医院", "三级甲等"),
    ("{city}中医医院", "三级甲等"),
    ("{city}妇幼保健院", "三级乙等"),
    ("{city}{district}人民医院", "二级甲等"),
    ("{city}{district}中医医院", "二级甲等"),
    ("{city}肿瘤医院", "三级甲等"),
    ("{city}口腔医院", "三级乙等"),
    ("{city}儿童医院", "三级甲等"),
    ("{city}{district}医院", "二级乙等"),
    ("{city}骨科医院", "二级甲等"),
];
const PHARMACY_BRANDS: &[&str] = &[
    "老百姓大药房",
    "益丰大药房",
    "大参林药店",
    "一心堂药店",
    "健之佳药房",
    "国大药房",
];
const CLINIC_FORMS: &[&str] = &[
    "{street}社区卫生服务中心",
    "{district}{street}社区卫生服务站",
    "{district}中心卫生院",
];

/// A small, fast, deterministic generator (SplitMix64): no randomness
/// from the system, so the sample is the same on every machine.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// The generated institutions of `sample` (unknown cities are skipped;
/// names are unique within a city).
pub fn generate(sample: &InstitutionSample) -> Vec<DemoInstitution> {
    let mut out = Vec::new();
    for code in &sample.cities {
        let Some(city) = CITIES.iter().find(|c| c.code == code) else {
            continue;
        };
        let mut rng = Mix(sample.seed ^ code.parse::<u64>().unwrap_or(0));
        let mut names = std::collections::HashSet::new();
        let mut serial = [0u32; 3];
        let mut tries = 0;
        // Bounded: at most 20 tries per institution asked for.
        while (names.len() as u32) < sample.per_city && tries < sample.per_city * 20 {
            tries += 1;
            let district = *rng.pick(city.districts);
            let street = *rng.pick(city.streets);
            let roll = rng.next() % 10;
            let (kind, name, level) = if roll < 4 {
                let (form, level) = *rng.pick(HOSPITAL_FORMS);
                let n = 1 + rng.next() % 9;
                let name = form
                    .replace("{city}", city.name)
                    .replace("{district}", district)
                    .replace("{n}", &n.to_string());
                ("hospital", name, level.to_string())
            } else if roll < 8 {
                let brand = *rng.pick(PHARMACY_BRANDS);
                let shop = street
                    .trim_end_matches(['路', '街', '道'])
                    .trim_end_matches('大');
                ("pharmacy", format!("{brand}（{shop}店）"), String::new())
            } else {
                let form = *rng.pick(CLINIC_FORMS);
                let name = form
                    .replace("{district}", district)
                    .replace("{street}", street.trim_end_matches(['路', '街', '道']));
                ("clinic", name, "一级".to_string())
            };
            if !names.insert(name.clone()) {
                continue;
            }
            let k = match kind {
                "hospital" => 0,
                "pharmacy" => 1,
                _ => 2,
            };
            serial[k] += 1;
            let number = 1 + rng.next() % 899;
            let phone_tail = 10_000_000 + rng.next() % 89_999_999;
            out.push(DemoInstitution {
                code: format!("S{}{}{:04}", city.code, ["H", "P", "C"][k], serial[k]),
                name,
                area: city.code.to_string(),
                level,
                // Hospitals mostly offer direct settlement, pharmacies often,
                // clinics rarely.
                remote_settlement: rng.next() % 10 < [9, 6, 2][k],
                kind: kind.to_string(),
                address: format!("{}{district}{street}{number}号", city.name),
                phone: format!("{}-{phone_tail}", city.phone),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> InstitutionSample {
        InstitutionSample {
            seed: 15,
            per_city: 40,
            cities: CITIES.iter().map(|c| c.code.to_string()).collect(),
        }
    }

    #[test]
    fn the_sample_is_deterministic_varied_and_unique() {
        let a = generate(&sample());
        let b = generate(&sample());
        assert_eq!(a.len(), 40 * CITIES.len());
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.code == y.code && x.name == y.name)
        );
        let codes: std::collections::HashSet<_> = a.iter().map(|i| &i.code).collect();
        assert_eq!(codes.len(), a.len());
        for kind in ["hospital", "pharmacy", "clinic"] {
            assert!(a.iter().filter(|i| i.kind == kind).count() > 20, "{kind}");
        }
        assert!(a.iter().any(|i| !i.remote_settlement));
        assert!(a.iter().all(|i| {
            i.address
                .starts_with(CITIES.iter().find(|c| c.code == i.area).unwrap().name)
        }));
    }
}
