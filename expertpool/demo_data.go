package expertpool

// Tables of made-up but realistic demo data: administrative divisions,
// Chinese surnames and given-name characters, organisation and project
// name parts. Nothing here names a real person.

// demoCity is a prefecture-level city with a few of its districts.
type demoCity struct {
	code, name string
	// weight is how many experts the city gets relative to the others.
	weight   int
	counties []string
}

// demoProvince is a province the demo pool can spread experts across.
type demoProvince struct {
	code, name string
	cities     []demoCity
}

// demoProvinces are the provinces SeedDemo knows, by 2-digit code.
var demoProvinces = map[string]demoProvince{
	"32": {"32", "江苏省", []demoCity{
		{"320100", "南京", 3, []string{"320102", "320104", "320105", "320106", "320111", "320115"}},
		{"320200", "无锡", 1, []string{"320213", "320214", "320211"}},
		{"320500", "苏州", 2, []string{"320505", "320506", "320507", "320508"}},
	}},
	"34": {"34", "安徽省", []demoCity{
		{"340100", "合肥", 3, []string{"340102", "340103", "340104", "340111"}},
		{"340200", "芜湖", 1, []string{"340202", "340207", "340209"}},
	}},
	"37": {"37", "山东省", []demoCity{
		{"370100", "济南", 3, []string{"370102", "370103", "370104", "370112"}},
		{"370200", "青岛", 2, []string{"370202", "370203", "370212", "370211"}},
	}},
	"33": {"33", "浙江省", []demoCity{
		{"330100", "杭州", 3, []string{"330102", "330105", "330106", "330108"}},
		{"330200", "宁波", 1, []string{"330203", "330205", "330212"}},
	}},
	"11": {"11", "北京市", []demoCity{
		{"110100", "北京", 1, []string{"110101", "110102", "110105", "110108"}},
	}},
}

// demoSurnames are common surnames, the most common repeated so that they
// come up more often.
var demoSurnames = []string{
	"王", "王", "王", "李", "李", "李", "张", "张", "张", "刘", "刘", "陈", "陈", "杨", "杨", "黄", "赵", "吴", "周", "徐",
	"孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭",
	"曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚",
	"卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊",
	"秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万",
	"钱", "严", "覃", "武", "戴", "莫", "孔", "向", "汤", "欧阳", "司马", "诸葛",
}

// demoGivenMale and demoGivenFemale are given-name characters.
var demoGivenMale = []string{
	"伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "斌", "宇",
	"浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "建", "国", "志", "文", "海", "峰", "亮", "成", "东", "忠",
	"新", "宏", "永", "德", "兵", "荣", "毅", "卫", "利", "春", "晓", "振", "立", "安", "胜", "学", "祥", "才", "发", "武",
}

var demoGivenFemale = []string{
	"芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "英", "华", "玲", "红", "燕", "萍", "雪", "琳", "晨", "晶", "颖",
	"慧", "婷", "宁", "云", "佳", "欣", "思", "雨", "嘉", "梅", "莉", "兰", "凤", "洁", "琴", "桂", "丹", "倩", "璐", "悦",
	"文", "月", "春", "晓", "雯", "蕾", "薇", "瑶", "怡", "婉",
}

// demoBrands and demoCompanyKinds make company names ("南京华建建设集团有限公司").
var demoBrands = []string{
	"华建", "中兴", "宏达", "恒信", "国泰", "瑞丰", "鼎盛", "远景", "金诚", "大成", "天工", "华宇", "新城", "长江", "东方",
	"正信", "博远", "安泰", "汇通", "明德", "中天", "宏图", "盛世", "永固", "方圆", "润达", "弘毅", "嘉禾", "同创", "凯旋",
}

var demoCompanyKinds = []string{
	"建设集团有限公司", "建筑工程有限公司", "市政工程有限公司", "水利水电工程有限公司", "路桥建设有限公司",
	"建筑设计研究院有限公司", "工程咨询有限公司", "工程造价咨询有限公司", "信息技术有限公司", "招标代理有限公司",
	"装饰工程有限公司", "园林绿化工程有限公司", "机电安装工程有限公司", "交通工程有限公司", "环境工程有限公司",
}

// demoAuthorities are tenderers: public bodies of a city.
var demoAuthorities = []string{
	"市住房和城乡建设局", "市交通运输局", "市水务局", "市教育局", "市卫生健康委员会", "市城市管理局",
	"市数据资源管理局", "市园林绿化局", "市第一人民医院", "市城市建设投资集团有限公司",
}

// demoProjectKinds are project name patterns ("%s" is the city) with the
// project's specialty.
var demoProjectKinds = []struct{ pattern, category string }{
	{"%s市第三中学教学综合楼新建工程", "A0101"},
	{"%s市滨江大道快速化改造工程", "A0201"},
	{"%s市外秦河河道综合整治工程", "A0302"},
	{"%s市政务云平台扩容建设项目", "B0103"},
	{"%s市人民医院门诊楼装饰装修工程", "A0102"},
	{"%s市绕城公路桥梁加固工程", "A0402"},
	{"%s市老旧小区给排水管网改造工程", "A0202"},
	{"%s市公共卫生服务中心设备采购项目", "B0101"},
}

// demoBlacklistReasons are reasons an expert was barred.
var demoBlacklistReasons = []string{
	"评标过程中私下接触投标人，经查属实",
	"无正当理由多次拒不参加评标",
	"评审意见明显不公正，被行政监督部门认定",
}

// demoRelations are relations declared between relatives.
var demoRelations = []string{"配偶", "兄弟姐妹", "子女", "父母", "姻亲"}

// demoMobilePrefixes are mobile number prefixes in use.
var demoMobilePrefixes = []string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
	"156", "157", "158", "159", "166", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "198", "199",
}

// demoSpecialtyWeights makes the common specialties common; the others
// weigh 1.
var demoSpecialtyWeights = map[string]int{"A0101": 8, "C0101": 5, "A0201": 3, "B0101": 2, "A0102": 2, "C0103": 2}
